/** Reading ONNX files (a hand-written protobuf decoder of the parts an importer needs: initializers and nodes). */
@NullMarked
package dev.winnow.nn.onnx;

import org.jspecify.annotations.NullMarked;
