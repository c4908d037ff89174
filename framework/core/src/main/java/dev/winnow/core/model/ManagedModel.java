package dev.winnow.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.winnow.api.model.ParameterSet;
import dev.winnow.api.model.Task;
import dev.winnow.api.model.TokenBatch;
import dev.winnow.api.model.WinnowModel;
import java.util.Map;

/** A model that owns the NDManager holding its weights, closing both together. */
record ManagedModel(WinnowModel delegate, NDManager manager) implements WinnowModel {
    @Override
    public String architecture() {
        return delegate.architecture();
    }

    @Override
    public Task task() {
        return delegate.task();
    }

    @Override
    public ParameterSet parameters() {
        return delegate.parameters();
    }

    @Override
    public NDArray forward(TokenBatch batch, boolean training) {
        return delegate.forward(batch, training);
    }

    @Override
    public Map<String, Object> exportConfig() {
        return delegate.exportConfig();
    }

    @Override
    public double forwardFlops(long batch, long length) {
        return delegate.forwardFlops(batch, length);
    }

    @Override
    public void close() {
        try {
            delegate.close();
        } finally {
            manager.close();
        }
    }
}
