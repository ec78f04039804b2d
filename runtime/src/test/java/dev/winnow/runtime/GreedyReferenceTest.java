package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The oracle of ../shared/models/SOURCES.md: "Once upon a time" + 30 greedy tokens of stories260K. */
class GreedyReferenceTest {
    static final String REFERENCE =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,";

    @Test
    void thirtyGreedyTokensGiveTheReferenceText() {
        Llama llama = Llama.load();
        try (Model model = llama.loadModel(TestModels.stories260K());
                Context ctx = model.newContext(ContextOptions.defaults().withContextSize(256));
                Batch batch = Batch.allocate(512, 1)) {
            Vocabulary vocab = model.vocabulary();
            int[] prompt = vocab.tokenize("Once upon a time", true, false);
            assertEquals(5, prompt.length);
            batch.addSequence(prompt, 0, 0, true);
            ctx.decode(batch);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int pos = prompt.length;
            for (int step = 0; step < 30; step++) {
                int next = ctx.argmax(-1);
                out.writeBytes(vocab.piece(next, false));
                batch.clear();
                batch.add(next, pos++, 0, true);
                ctx.decode(batch);
            }
            String text = "Once upon a time" + out.toString(StandardCharsets.UTF_8);
            assertEquals(REFERENCE, text);
        }
    }
}
