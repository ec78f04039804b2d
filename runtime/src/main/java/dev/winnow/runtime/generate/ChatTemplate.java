package dev.winnow.runtime.generate;

import dev.winnow.bindings.llama.llama_chat_message;
import dev.winnow.bindings.llama.llama_h;
import dev.winnow.runtime.CStrings;
import dev.winnow.runtime.Model;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Formats chat messages into a prompt with one of llama.cpp's built-in chat formats ({@code
 * llama_chat_apply_template}; it recognises a model's {@code tokenizer.chat_template} by its markers, it is not a
 * Jinja engine). The formatted prompt contains special-token text: tokenize it with parseSpecial on, as {@link
 * Generation#startChat} does.
 */
public final class ChatTemplate {
    private final String template;

    private ChatTemplate(String template) {
        this.template = template;
    }

    /**
     * @param model a model with a {@code tokenizer.chat_template}
     * @return its template
     * @throws IllegalArgumentException if the model has none
     */
    public static ChatTemplate of(Model model) {
        return new ChatTemplate(model.chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException(
                        "model " + model.path().getFileName() + " has no chat template (tokenizer.chat_template)")));
    }

    /**
     * @param nameOrTemplate a built-in name ({@link #builtinNames()}, e.g. "chatml", "llama3") or template text
     * @return the template
     * @throws IllegalArgumentException if it contains a NUL character
     */
    public static ChatTemplate named(String nameOrTemplate) {
        return new ChatTemplate(CStrings.check(nameOrTemplate, "chat template name"));
    }

    /**
     * @return the names of llama.cpp's built-in formats (llama_chat_builtin_templates)
     */
    public static List<String> builtinNames() {
        try (Arena arena = Arena.ofConfined()) {
            int n = llama_h.llama_chat_builtin_templates(MemorySegment.NULL, 0);
            MemorySegment arr = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            n = llama_h.llama_chat_builtin_templates(arr, n);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(arr.getAtIndex(ValueLayout.ADDRESS, i)
                        .reinterpret(Long.MAX_VALUE)
                        .getString(0));
            }
            return out;
        }
    }

    /**
     * Formats messages.
     *
     * @param messages the chat so far
     * @param addAssistant end with the start of an assistant turn, for the model to continue
     * @return the prompt text
     * @throws IllegalArgumentException if llama.cpp does not support the template, or a role, a content or the template
     *     contains a NUL character (named)
     */
    public String apply(List<ChatMessage> messages, boolean addAssistant) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chat = llama_chat_message.allocateArray(Math.max(1, messages.size()), arena);
            int chars = 0;
            for (int i = 0; i < messages.size(); i++) {
                MemorySegment m = llama_chat_message.asSlice(chat, i);
                llama_chat_message.role(
                        m, arena.allocateFrom(CStrings.check(messages.get(i).role(), "role of chat message " + i)));
                llama_chat_message.content(
                        m,
                        arena.allocateFrom(CStrings.check(messages.get(i).content(), "content of chat message " + i)));
                chars += messages.get(i).content().length()
                        + messages.get(i).role().length();
            }
            MemorySegment tmpl = arena.allocateFrom(CStrings.check(template, "chat template"));
            int cap = 2 * chars + 256;
            MemorySegment buf = arena.allocate(cap);
            int n = llama_h.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistant, buf, cap);
            if (n > cap) {
                cap = n;
                buf = arena.allocate(cap);
                n = llama_h.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistant, buf, cap);
            }
            if (n < 0) {
                throw new IllegalArgumentException(
                        "llama.cpp does not support this chat template (built-in formats: " + builtinNames() + "): "
                                + (template.length() > 80 ? template.substring(0, 80) + "..." : template));
            }
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }
}
