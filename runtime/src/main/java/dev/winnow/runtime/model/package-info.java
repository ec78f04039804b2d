/**
 * Checks on model files before llama.cpp reads them: {@link dev.winnow.runtime.model.GgufPrecheck} walks the GGUF
 * header and refuses, with {@link dev.winnow.runtime.model.InvalidModelException}, what would crash or abort the
 * native loader.
 */
package dev.winnow.runtime.model;
