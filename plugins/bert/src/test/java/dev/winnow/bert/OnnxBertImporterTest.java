package dev.winnow.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.api.UserException;
import dev.winnow.api.WinnowPlugin;
import dev.winnow.api.model.ModelImporter;
import dev.winnow.core.model.ModelDirectory;
import dev.winnow.core.model.ModelImporters;
import dev.winnow.core.registry.ComponentRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ONNX importer is the bert plugin's, found by core through the registry like any plugin's importer. */
class OnnxBertImporterTest {
    @Test
    void theRegistryChoosesTheBertImporterForABertOnnxFileAndItsImportLoads(@TempDir Path tmp) {
        BertFixtures.Imported minilm = BertFixtures.imported("all-minilm-l6-v2");
        ComponentRegistry registry = ComponentRegistry.of(new BertPlugin());
        ModelImporter importer = ModelImporters.forFile(registry, minilm.onnx());
        assertInstanceOf(OnnxBertImporter.class, importer);
        Path out = tmp.resolve("hf");
        ModelImporters.importTo(registry, minilm.onnx(), minilm.dir().resolve("tokenizer.json"), out);
        ModelDirectory dir = ModelDirectory.of(out);
        assertEquals("bert", dir.modelType().orElseThrow());
        assertEquals(6, ((Number) dir.config().get("num_hidden_layers")).intValue());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer_config.json")));
    }

    @Test
    void aFileOfAnotherKindIsNotAcceptedAndNoImporterIsAUserErrorNamingTheFile(@TempDir Path tmp) throws Exception {
        Path notOnnx = Files.writeString(tmp.resolve("model.onnx"), "not a protobuf");
        assertFalse(new OnnxBertImporter().accepts(notOnnx));
        assertFalse(new OnnxBertImporter().accepts(Files.writeString(tmp.resolve("weights.bin"), "x")));
        UserException e = assertThrows(UserException.class,
                () -> ModelImporters.forFile(ComponentRegistry.of(new BertPlugin()), notOnnx));
        assertTrue(e.getMessage().contains(notOnnx.toString()) && e.getMessage().contains("onnx-bert"), e.getMessage());
        WinnowPlugin none = new WinnowPlugin() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public void register(dev.winnow.api.Registrar registrar) {}
        };
        UserException empty = assertThrows(UserException.class,
                () -> ModelImporters.forFile(ComponentRegistry.of(none), notOnnx));
        assertTrue(empty.getMessage().contains("registered importers: none"), empty.getMessage());
    }
}
