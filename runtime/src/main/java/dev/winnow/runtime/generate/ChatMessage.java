package dev.winnow.runtime.generate;

/**
 * One message of a chat.
 *
 * @param role "system", "user" or "assistant" (what the template knows)
 * @param content the text
 */
public record ChatMessage(String role, String content) {
    /**
     * @throws IllegalArgumentException if role or content is null, or role is empty
     */
    public ChatMessage {
        if (role == null || role.isEmpty() || content == null) {
            throw new IllegalArgumentException("a chat message needs a role and a content");
        }
    }

    /**
     * @param content text
     * @return a system message
     */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /**
     * @param content text
     * @return a user message
     */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /**
     * @param content text
     * @return an assistant message
     */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
