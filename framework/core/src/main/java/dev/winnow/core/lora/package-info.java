/** LoRA: adapters on named linear layers, trained while the base stays frozen; PEFT layout on disk; merging. */
@NullMarked
package dev.winnow.core.lora;

import org.jspecify.annotations.NullMarked;
