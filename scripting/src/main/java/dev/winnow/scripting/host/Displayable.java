package dev.winnow.scripting.host;

import dev.winnow.scripting.DisplayData;

/**
 * A host object that knows how it looks: when a script displays it, or a cell ends with it, its bundle is shown
 * (e.g. a ranked list as an HTML table with a text fallback).
 */
public interface Displayable {

    /**
     * The object's rich representation.
     *
     * @return a bundle with at least {@code text/plain}
     */
    DisplayData toDisplayData();
}
