// The C side of Winnow's decode benchmark (runtime/src/bench/java/dev/winnow/runtime/bench/DecodeBench.java):
// the same greedy loop as the Java side, against the same llama.cpp library, printed as one line per repetition:
//   pp <tokens> <wall seconds> <cpu seconds>
//   tg <tokens> <wall seconds> <cpu seconds>
// (cpu: this thread's CPU time with 1 thread, where llama.cpp computes on the calling thread; else the process's)
// usage: decode_bench MODEL LIBDIR THREADS PP TG REPS
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ggml-backend.h"
#include "llama.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cpu_clock = CLOCK_THREAD_CPUTIME_ID;

static double cpu(void) {
    struct timespec ts;
    clock_gettime(cpu_clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void quiet(enum ggml_log_level level, const char * text, void * user) {
    (void) level; (void) text; (void) user;
}

static int argmax(const float * logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
        if (logits[i] > logits[best]) best = i;
    }
    return best;
}

int main(int argc, char ** argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s MODEL LIBDIR THREADS PP TG REPS\n", argv[0]);
        return 2;
    }
    const char * model_path = argv[1];
    int threads = atoi(argv[3]), pp = atoi(argv[4]), tg = atoi(argv[5]), reps = atoi(argv[6]);
    if (threads != 1) cpu_clock = CLOCK_PROCESS_CPUTIME_ID;
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(argv[2]);
    llama_backend_init();
    struct llama_model * model = llama_model_load_from_file(model_path, llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", model_path); return 1; }
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = pp + tg + 16;
    cp.n_batch = pp;
    cp.n_ubatch = pp;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.kv_unified = true;  // as the Java runtime's default context options
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create context\n"); return 1; }
    llama_memory_t mem = llama_get_memory(ctx);
    struct llama_batch batch = llama_batch_init(pp, 0, 1);
    for (int rep = 0; rep < reps; rep++) {
        llama_memory_clear(mem, true);
        batch.n_tokens = pp;
        for (int i = 0; i < pp; i++) {
            batch.token[i] = i == 0 ? llama_vocab_bos(vocab) : (i * 7 + 3) % n_vocab;
            batch.pos[i] = i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = 0;
            batch.logits[i] = i == pp - 1;
        }
        double c0 = cpu(), t0 = now();
        if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
        int tok = argmax(llama_get_logits_ith(ctx, pp - 1), n_vocab);
        double t1 = now(), c1 = cpu();
        printf("pp %d %.9f %.9f\n", pp, t1 - t0, c1 - c0);
        double c2 = cpu(), t2 = now();
        for (int i = 0; i < tg; i++) {
            batch.n_tokens = 1;
            batch.token[0] = tok;
            batch.pos[0] = pp + i;
            batch.n_seq_id[0] = 1;
            batch.seq_id[0][0] = 0;
            batch.logits[0] = 1;
            if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }
            tok = argmax(llama_get_logits_ith(ctx, 0), n_vocab);
        }
        double t3 = now(), c3 = cpu();
        printf("tg %d %.9f %.9f\n", tg, t3 - t2, c3 - c2);
        fflush(stdout);
    }
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
