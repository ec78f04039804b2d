package dev.winnow.runtime;

/**
 * Receives a tensor of the compute graph while {@link Context#decode} runs, on the decoding thread. The view and its
 * data are valid only during the call: copy what you need. An exception thrown here stops the graph and is rethrown
 * by {@code decode}.
 */
@FunctionalInterface
public interface TensorListener {
    /**
     * @param view the computed tensor (read-only for a tap, writable for an intervention)
     */
    void onTensor(TensorView view);
}
