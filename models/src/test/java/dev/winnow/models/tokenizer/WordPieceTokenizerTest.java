package dev.winnow.models.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.EmbeddingJars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Known token ids: those llama.cpp v0.5.0 produced for our converted all-MiniLM-L6-v2 (llama_tokenize with
 * add_special, a C program), an implementation independent of this one, and cases that follow from tokenizer.json's
 * rules.
 */
class WordPieceTokenizerTest {
    static WordPieceTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = EmbeddingJars.open(EmbeddingJars.MINILM_TOKENIZER)) {
            tok = WordPieceTokenizer.read(in, EmbeddingJars.MINILM_TOKENIZER);
        }
    }

    static void expect(String text, int... ids) {
        int[] got = tok.encode(text);
        assertArrayEquals(ids, got, () -> text + " -> " + Arrays.toString(got) + " " + tok.tokens(got));
    }

    @Test
    void readsTheVocabularyAndSpecialTokens() {
        assertEquals(30522, tok.vocabularySize());
        assertEquals(101, tok.clsId());
        assertEquals(102, tok.sepId());
        assertEquals(100, tok.unkId());
        assertTrue(tok.lowercase());
        assertTrue(tok.stripAccents(), "strip_accents null follows lowercase");
        assertTrue(tok.isSpecial(0) && tok.isSpecial(103));
        assertTrue(!tok.isSpecial(1) && !tok.isSpecial(2023));
    }

    @Test
    void matchesLlamaCppOnKnownSentences() {
        expect(
                "This is a test document about machine learning.",
                101,
                2023,
                2003,
                1037,
                3231,
                6254,
                2055,
                3698,
                4083,
                1012,
                102);
        expect("a", 101, 1037, 102);
        expect(
                "Hello,world!How are you?(fine)[ok]{yes}",
                101,
                7592,
                1010,
                2088,
                999,
                2129,
                2024,
                2017,
                1029,
                1006,
                2986,
                1007,
                1031,
                7929,
                1033,
                1063,
                2748,
                1065,
                102);
        expect(
                "The quick brown fox jumps over the lazy dog 1234567890 times.",
                101,
                1996,
                4248,
                2829,
                4419,
                14523,
                2058,
                1996,
                13971,
                3899,
                13138,
                19961,
                2575,
                2581,
                2620,
                21057,
                2335,
                1012,
                102);
    }

    @Test
    void stripsAccentsAndLowercases() {
        expect(
                "Café naïve résumé façade — Übermäßig schöne Grüße!",
                101,
                7668,
                15743,
                13746,
                8508,
                1517,
                19169,
                2863,
                19310,
                8004,
                8040,
                27406,
                24665,
                2226,
                17499,
                999,
                102);
        assertArrayEquals(tok.encode("cafe"), tok.encode("CAFÉ"));
    }

    @Test
    void unknownCharactersBecomeUnk() {
        expect(
                "I love pizza 🍕 and coffee ☕ every morning.",
                101,
                1045,
                2293,
                10733,
                100,
                1998,
                4157,
                100,
                2296,
                2851,
                1012,
                102);
    }

    @Test
    void splitsCjkIdeographsIntoWords() {
        expect(
                "機器學習是人工智慧的一個分支。",
                101,
                100,
                100,
                100,
                100,
                100,
                1756,
                100,
                1869,
                100,
                1916,
                1740,
                100,
                1775,
                100,
                1636,
                102);
    }

    @Test
    void whiteSpaceAndControlCharacters() {
        expect("  Tabs\tand", 101, 21628, 2015, 1998, 102);
        expect("multiple   spaces  ", 101, 3674, 7258, 102);
        assertArrayEquals(
                tok.encode("hello"), tok.encode("hel\u0000lo\u200b"), "NUL and format characters are dropped");
        assertArrayEquals(tok.encode("a b"), tok.encode("a\u00a0b"), "no-break space is white space");
    }

    @Test
    void specialTokensInTheTextAreKept() {
        expect("[SEP] hello [MASK]", 101, 102, 7592, 103, 102);
    }

    @Test
    void overlongWordIsOneUnk() {
        expect("a".repeat(101), 101, 100, 102);
        int[] hundred = tok.encode("a".repeat(100));
        assertNotEquals(100, hundred[1], "100 characters is within max_input_chars_per_word");
    }

    @Test
    void truncatesToMaxLengthKeepingClsAndSep() {
        String text = String.join(" ", java.util.Collections.nCopies(300, "learning"));
        int[] full = tok.encode(text);
        assertEquals(302, full.length);
        int[] cut = tok.encode(text, 128);
        assertEquals(128, cut.length);
        assertEquals(101, cut[0]);
        assertEquals(102, cut[127]);
        assertArrayEquals(Arrays.copyOfRange(full, 0, 127), Arrays.copyOfRange(cut, 0, 127));
        assertThrows(IllegalArgumentException.class, () -> tok.encode("x", 1));
    }

    @Test
    void tokensShowsPieces() {
        int[] ids = tok.encode("tokenization");
        assertEquals(List.of("[CLS]", "token", "##ization", "[SEP]"), tok.tokens(ids));
    }

    @Test
    void rejectsOtherTokenizerTypes() {
        String bpe = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}";
        IOException e = assertThrows(
                IOException.class,
                () -> WordPieceTokenizer.read(
                        new ByteArrayInputStream(bpe.getBytes(StandardCharsets.UTF_8)), "bpe.json"));
        assertTrue(e.getMessage().contains("bpe.json") && e.getMessage().contains("WordPiece"), e.getMessage());
    }
}
