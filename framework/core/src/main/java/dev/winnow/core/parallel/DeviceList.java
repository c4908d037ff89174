package dev.winnow.core.parallel;

import ai.djl.Device;
import dev.winnow.api.UserException;
import dev.winnow.nn.engine.WinnowEngine;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The devices a recipe's {@code devices.devices} names. {@code all} is every GPU PyTorch sees (the CPU when it sees
 * none); {@code cpu} may be listed more than once, which gives several replicas on the CPU (the same computation as on
 * several GPUs, without the speed: for tests and for checking a data-parallel recipe on a laptop). A GPU may be listed
 * once only.
 */
public final class DeviceList {
    private DeviceList() {}

    /** The devices, in order; the first holds the model that evaluates, checkpoints and exports. */
    public static List<Device> resolve(List<String> names) {
        if (names.size() == 1 && names.get(0).trim().toLowerCase(Locale.ROOT).equals("all")) {
            int gpus = WinnowEngine.start().getGpuCount();
            List<Device> out = new ArrayList<>();
            for (int i = 0; i < gpus; i++) {
                out.add(Device.gpu(i));
            }
            return gpus == 0 ? List.of(Device.cpu()) : List.copyOf(out);
        }
        List<Device> out = new ArrayList<>();
        Set<Device> gpus = new HashSet<>();
        for (String name : names) {
            if (name.trim().equalsIgnoreCase("all")) {
                throw new UserException("devices.devices: 'all' stands alone (every GPU); found it in " + names);
            }
            Device d = WinnowEngine.device(name);
            if (d.isGpu() && !gpus.add(d)) {
                throw new UserException("devices.devices: " + d + " is listed twice in " + names + "; each GPU holds one replica");
            }
            out.add(d);
        }
        return List.copyOf(out);
    }
}
