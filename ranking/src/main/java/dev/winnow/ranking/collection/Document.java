package dev.winnow.ranking.collection;

import java.util.Map;

/**
 * A document of a collection.
 *
 * @param id the collection's document id (non-empty)
 * @param title the title, "" when the collection has none
 * @param text the body text, possibly "" (an empty document)
 * @param metadata other stored fields (author, source, ...), never null
 */
public record Document(String id, String title, String text, Map<String, String> metadata) {

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException when the id is null or empty
     */
    public Document {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("document id is empty");
        }
        title = title == null ? "" : title;
        text = text == null ? "" : text;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /**
     * A document without metadata.
     *
     * @param id the id
     * @param title the title
     * @param text the text
     */
    public Document(String id, String title, String text) {
        this(id, title, text, Map.of());
    }

    /**
     * Returns whether title and text are both blank.
     *
     * @return true for an empty document
     */
    public boolean isEmpty() {
        return title.isBlank() && text.isBlank();
    }
}
