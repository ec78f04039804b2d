package dev.winnow.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.runtime.generate.Utf8StreamDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VocabularyTest {
    static Model model;
    static Vocabulary vocab;

    @BeforeAll
    static void load() {
        model = Llama.load().loadModel(TestModels.stories260K());
        vocab = model.vocabulary();
    }

    @AfterAll
    static void free() {
        model.close();
    }

    /** 200 varied strings: words, punctuation, digits, whitespace runs, accents, Greek, CJK, emoji (with ZWJ). */
    static List<String> corpus() {
        String[] parts = {
            "Once", "upon", "a", "time", "Lily", "the", "park", ",", ".", "!", "?", "42", "3.14", "'s", "\"quoted\"",
            "naïve", "café", "Ωμέγα", "日本語", "中文字符", "한국어", "😀", "👩‍👩‍👧", "🎉🎉", "über", "niño", "ß", "\t", "  ",
                    "\n",
            "x_y-z", "(paren)", "[x]", "{y}", "a+b=c", "#tag", "@me", "100%", "½", "™"
        };
        Random r = new Random(2024);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(8);
            for (int k = 0; k < n; k++) {
                if (k > 0 && r.nextBoolean()) {
                    sb.append(' ');
                }
                sb.append(parts[r.nextInt(parts.length)]);
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void roundTripOfTwoHundredStringsIsExact() {
        for (String s : corpus()) {
            int[] t = vocab.tokenize(s, false, false);
            String back = vocab.detokenize(t, false, false);
            // SentencePiece prepends a space to the text it tokenizes; llama.cpp's detokenize keeps it
            String expected = back.startsWith(" ") && !s.startsWith(" ") ? " " + s : s;
            assertEquals(expected, back, "round trip of [" + s + "]");
            // the same text streamed piece by piece through the UTF-8 decoder
            Utf8StreamDecoder d = new Utf8StreamDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int tok : t) {
                streamed.append(d.feed(vocab.piece(tok, false)));
            }
            streamed.append(d.finish());
            // pieces keep the first token's leading space, which detokenize drops at the start of a text
            String st = streamed.toString();
            assertEquals(
                    back,
                    st.startsWith(" ") && st.length() == back.length() + 1 ? st.substring(1) : st,
                    "streamed pieces of [" + s + "]");
        }
    }

    @Test
    void specialTokensAndAttributes() {
        int[] withBos = vocab.tokenize("hello", true, false);
        int[] without = vocab.tokenize("hello", false, false);
        assertEquals(vocab.bos(), withBos[0]);
        assertArrayEquals(without, java.util.Arrays.copyOfRange(withBos, 1, withBos.length));
        assertTrue(vocab.addsBos());
        assertEquals("<s>", vocab.text(vocab.bos()));
        assertTrue(vocab.isControl(vocab.bos()));
        assertTrue((vocab.attributes(vocab.bos()) & Vocabulary.ATTR_CONTROL) != 0);
        // the byte-fallback token of 0xF0, the lead byte of a 4-byte emoji
        int f0 = vocab.tokenize("😀", false, false)[1];
        assertTrue((vocab.attributes(f0) & Vocabulary.ATTR_BYTE) != 0, vocab.text(f0));
        assertEquals("<s>", vocab.detokenize(new int[] {vocab.bos()}, false, true));
        assertEquals("", vocab.detokenize(new int[] {vocab.bos()}, false, false));
        // parse_special turns "<s>" text into the BOS token
        assertEquals(vocab.bos(), vocab.tokenize("<s>", false, true)[0]);
        assertThrows(IllegalArgumentException.class, () -> vocab.text(512));
        assertThrows(IllegalArgumentException.class, () -> vocab.detokenize(new int[] {-1}, false, false));
    }
}
