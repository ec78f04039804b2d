package dev.winnow.runtime.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {

    @Test
    void emojiSplitIntoSingleBytesIsEmittedWhole() {
        byte[] b = "a😀b".getBytes(StandardCharsets.UTF_8);
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("a", d.feed(new byte[] {b[0]}));
        assertEquals("", d.feed(new byte[] {b[1]}));
        assertEquals("", d.feed(new byte[] {b[2], b[3]}));
        assertTrue(d.hasPending());
        assertEquals("😀b", d.feed(new byte[] {b[4], b[5]}));
        assertFalse(d.hasPending());
        assertEquals("", d.finish());
    }

    @Test
    void randomSplitsOfMixedTextReassembleExactlyWithoutReplacementCharacters() {
        String text = "Once upon a time 日本語のテキスト, emoji 👩‍👩‍👧 🎉, accents éàü, Ωμέγα, end.";
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Random r = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            Utf8StreamDecoder d = new Utf8StreamDecoder();
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < b.length) {
                int n = Math.min(b.length - i, r.nextInt(4));
                String piece = d.feed(b, i, n);
                assertFalse(piece.contains("\uFFFD"), "replacement character emitted at trial " + trial);
                out.append(piece);
                i += n;
            }
            out.append(d.finish());
            assertEquals(text, out.toString());
        }
    }

    @Test
    void invalidBytesBecomeOneReplacementEach() {
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        // stray continuation, invalid lead 0xFF, a 3-byte lead broken by ASCII, an overlong E0 80
        assertEquals("x\uFFFD\uFFFDy", d.feed(new byte[] {'x', (byte) 0x80, (byte) 0xff, 'y'}));
        assertEquals("", d.feed(new byte[] {(byte) 0xe6}));
        assertEquals("\uFFFDz", d.feed(new byte[] {'z'}));
        assertEquals("\uFFFD\uFFFD", d.feed(new byte[] {(byte) 0xe0, (byte) 0x80}));
        assertEquals("", d.feed(new byte[] {(byte) 0xf0, (byte) 0x9f}));
        assertEquals("\uFFFD\uFFFD", d.finish());
    }

    @Test
    void matchesTheJdkDecoderOnValidText() {
        Random r = new Random(7);
        for (int trial = 0; trial < 100; trial++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 50; k++) {
                int cp;
                do {
                    cp = r.nextInt(4) == 0 ? r.nextInt(0x80) : r.nextInt(0x10FFFF);
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            Utf8StreamDecoder d = new Utf8StreamDecoder();
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            StringBuilder out = new StringBuilder();
            for (byte x : b) {
                out.append(d.feed(new byte[] {x}));
            }
            assertEquals(s, out.append(d.finish()).toString());
        }
    }
}
