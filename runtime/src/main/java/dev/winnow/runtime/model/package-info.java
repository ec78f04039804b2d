/**
 * Checks on model files before llama.cpp reads them: {@link dev.winnow.runtime.model.GgufPrecheck} runs the models
 * module's validating GGUF reader and llama.cpp rules over the file and refuses, with
 * {@link dev.winnow.runtime.model.InvalidModelException}, what would crash or abort the native loader.
 */
package dev.winnow.runtime.model;
