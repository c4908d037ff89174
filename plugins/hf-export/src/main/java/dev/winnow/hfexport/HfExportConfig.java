package dev.winnow.hfexport;

import dev.winnow.api.config.Default;
import dev.winnow.api.config.Doc;
import dev.winnow.api.config.Range;

/** Recipe keys of {@code export.exporters: [{type: hf, ...}]}. */
@Doc("Hugging Face layout: config.json, sharded model.safetensors, tokenizer files, sentence-transformers metadata, README model card")
public record HfExportConfig(
        @Doc("Largest safetensors shard in bytes; bigger models are split with model.safetensors.index.json")
                @Default("5000000000")
                @Range(min = 1_000_000)
                long maxShardBytes,
        @Doc("Activation that sentence-transformers' CrossEncoder applies to reranker scores: sigmoid or identity")
                @Default("sigmoid")
                Activation activation,
        @Doc("Write a README.md model card with the recipe, data and metrics") @Default("true") boolean modelCard) {

    /** A reranker's output activation, stored by its torch module path as sentence-transformers does. */
    public enum Activation {
        SIGMOID("torch.nn.modules.activation.Sigmoid"),
        IDENTITY("torch.nn.modules.linear.Identity");

        private final String torchPath;

        Activation(String torchPath) {
            this.torchPath = torchPath;
        }

        public String torchPath() {
            return torchPath;
        }
    }
}
