package dev.winnow.scripting;

import java.util.ArrayList;
import java.util.List;

/** A sink that records what a cell produced, with the time of each stdout chunk. */
final class RecordingSink implements OutputSink {
    final StringBuffer out = new StringBuffer();
    final StringBuffer err = new StringBuffer();
    final List<DisplayData> displays = new ArrayList<>();
    final List<Long> stdoutTimes = new ArrayList<>();

    @Override
    public synchronized void stdout(String text) {
        out.append(text);
        stdoutTimes.add(System.nanoTime());
    }

    @Override
    public synchronized void stderr(String text) {
        err.append(text);
    }

    @Override
    public synchronized void display(DisplayData data) {
        displays.add(data);
    }
}
