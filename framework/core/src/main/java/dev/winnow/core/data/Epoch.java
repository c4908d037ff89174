package dev.winnow.core.data;

import dev.winnow.api.UserException;
import java.util.List;

/**
 * The groups of one epoch in training order. The order is a pure function of the data, the options, the seed and
 * the epoch number, so a run resumed from a checkpoint that saved {@code (epoch, position)} continues with
 * {@link #from(long) from(position)} exactly where it stopped.
 */
public record Epoch(int number, List<Group> groups, GroupingReport report) {
    public Epoch {
        groups = List.copyOf(groups);
    }

    /**
     * The groups not yet trained on after {@code position} groups of this epoch.
     *
     * @throws UserException when the position lies beyond this epoch (the data or grouping options changed since
     *     the checkpoint)
     */
    public List<Group> from(long position) {
        if (position < 0 || position > groups.size()) {
            throw new UserException("cannot resume epoch " + number + " at group " + position + ": the epoch has "
                    + groups.size() + " groups (did the data or the grouping options change since the checkpoint?)");
        }
        return groups.subList((int) position, groups.size());
    }
}
