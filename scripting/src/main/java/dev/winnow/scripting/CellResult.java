package dev.winnow.scripting;

import java.time.Duration;
import java.util.Optional;

/**
 * What a cell that ran to the end returns.
 *
 * @param language the language the cell ran in
 * @param value the value of the cell's last expression rendered as a MIME bundle; empty when the cell ended with a
 *     statement or its value was {@code undefined}/{@code null}/{@code None}
 * @param elapsed wall-clock time of the cell, from the start of evaluation to the end of rendering
 */
public record CellResult(Language language, Optional<DisplayData> value, Duration elapsed) {}
