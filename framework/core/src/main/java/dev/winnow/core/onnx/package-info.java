/** Reading ONNX files (a hand-written protobuf decoder) and importing BERT exports as Hugging Face model directories. */
@NullMarked
package dev.winnow.core.onnx;

import org.jspecify.annotations.NullMarked;
