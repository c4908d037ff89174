package dev.winnow.core.data;

/**
 * What grouping one epoch did, so that nothing is dropped or invented silently.
 *
 * @param queries query records grouped
 * @param groups groups made
 * @param queriesWithoutPositive queries that made no listwise group because they have no positive
 * @param positivesNotUsed positives left out this epoch by {@code positives_per_query}
 * @param groupsShort groups whose query had fewer negatives than {@code group_size - 1}
 * @param groupsDropped groups dropped: under {@code drop}, or when {@code repeat}/{@code pad} had nothing to fill
 *     with
 * @param negativesRepeated negative slots filled by repeating the query's own negatives
 * @param negativesPadded negative slots filled with other queries' negatives
 */
public record GroupingReport(
        long queries,
        long groups,
        long queriesWithoutPositive,
        long positivesNotUsed,
        long groupsShort,
        long groupsDropped,
        long negativesRepeated,
        long negativesPadded) {
    public String summary() {
        StringBuilder s = new StringBuilder().append(queries).append(" queries -> ").append(groups).append(" groups");
        if (queriesWithoutPositive > 0) {
            s.append("; ").append(queriesWithoutPositive).append(" queries without a positive made no group");
        }
        if (positivesNotUsed > 0) {
            s.append("; ").append(positivesNotUsed).append(" positives not used this epoch (positives_per_query)");
        }
        if (groupsShort > 0) {
            s.append("; ").append(groupsShort).append(" groups short of negatives");
        }
        if (groupsDropped > 0) {
            s.append(" (").append(groupsDropped).append(" dropped)");
        }
        if (negativesRepeated > 0) {
            s.append("; ").append(negativesRepeated).append(" negatives repeated");
        }
        if (negativesPadded > 0) {
            s.append("; ").append(negativesPadded).append(" negatives padded from other queries");
        }
        return s.toString();
    }
}
