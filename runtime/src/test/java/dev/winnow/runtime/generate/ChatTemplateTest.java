package dev.winnow.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.Context;
import dev.winnow.runtime.ContextOptions;
import dev.winnow.runtime.Llama;
import dev.winnow.runtime.Model;
import dev.winnow.runtime.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
    static final List<ChatMessage> CHAT =
            List.of(ChatMessage.system("You tell stories."), ChatMessage.user("Tell me about Lily."));

    @Test
    void chatmlFormatsMessagesAsSpecified() {
        Llama.load();
        assertEquals(
                "<|im_start|>system\nYou tell stories.<|im_end|>\n<|im_start|>user\nTell me about Lily.<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                ChatTemplate.named("chatml").apply(CHAT, true));
        assertTrue(
                ChatTemplate.builtinNames().contains("chatml"),
                ChatTemplate.builtinNames().toString());
        assertTrue(ChatTemplate.builtinNames().contains("llama3"));
    }

    @Test
    void unknownTemplateAndModelWithoutTemplateAreErrors() {
        Llama.load();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ChatTemplate.named("no such template").apply(CHAT, true));
        assertTrue(e.getMessage().contains("does not support this chat template"), e.getMessage());
        try (Model m = Llama.load().loadModel(TestModels.stories260K())) {
            assertThrows(IllegalArgumentException.class, () -> ChatTemplate.of(m));
            try (Context c = m.newContext(
                            ContextOptions.defaults().withContextSize(256).withThreads(1));
                    Generation g =
                            Generation.startChat(c, ChatTemplate.named("chatml"), CHAT, GenerationOptions.greedy(8))) {
                g.run(s -> {});
                assertEquals(8, g.tokens().length);
                assertEquals(FinishReason.MAX_TOKENS, g.finishReason());
            }
        }
    }
}
