package dev.winnow.ranking.incontext.prompt;

import java.util.Locale;

/**
 * How a model family wraps a single user turn and opens the assistant's answer, recognised from the chat template
 * a GGUF file carries ({@code tokenizer.chat_template}). The ranker puts the instruction and documents inside the
 * user turn and the answer prefix after {@link #assistantStart()}.
 */
public enum PromptFamily {
    /** No chat template: plain text, the answer prefix on its own line. */
    PLAIN("", "\n"),
    /** ChatML (Qwen 2/2.5, many fine-tunes): {@code <|im_start|>user ... <|im_end|>}. */
    CHATML(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n",
            "<|im_end|>\n<|im_start|>assistant\n"),
    /** Llama 3 headers. */
    LLAMA3(
            "<|start_header_id|>user<|end_header_id|>\n\n",
            "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
    /** Mistral / Llama 2 {@code [INST]} turns. */
    MISTRAL("[INST] ", " [/INST]"),
    /** Gemma turns. */
    GEMMA("<start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n");

    private final String userStart;
    private final String assistantStart;

    PromptFamily(String userStart, String assistantStart) {
        this.userStart = userStart;
        this.assistantStart = assistantStart;
    }

    /** Template text before the user's content (after BOS); parsed with special tokens. */
    public String userStart() {
        return userStart;
    }

    /** Template text that closes the user's turn and opens the assistant's; parsed with special tokens. */
    public String assistantStart() {
        return assistantStart;
    }

    /**
     * Recognises the family from a chat template (Jinja text from the GGUF key {@code tokenizer.chat_template}).
     *
     * @param chatTemplate the template, or null/blank when the model has none
     * @return the family; {@link #PLAIN} when there is no template or it is not recognised
     */
    public static PromptFamily detect(String chatTemplate) {
        if (chatTemplate == null || chatTemplate.isBlank()) {
            return PLAIN;
        }
        String t = chatTemplate.toLowerCase(Locale.ROOT);
        if (t.contains("<|im_start|>")) {
            return CHATML;
        }
        if (t.contains("<|start_header_id|>")) {
            return LLAMA3;
        }
        if (t.contains("<start_of_turn>")) {
            return GEMMA;
        }
        if (t.contains("[inst]")) {
            return MISTRAL;
        }
        return PLAIN;
    }
}
