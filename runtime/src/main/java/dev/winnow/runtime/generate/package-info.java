/**
 * Text generation over a {@link dev.winnow.runtime.Context}: {@link dev.winnow.runtime.generate.Generation} (iterator,
 * stream or callback; stop strings, end of generation, max tokens, cancellation), the UTF-8-safe piece decoder, the
 * stop-string matcher, and chat templates.
 */
package dev.winnow.runtime.generate;
