package dev.winnow.ranking.eval;

/**
 * Maps a qrels grade to the gain nDCG credits a retrieved document with that grade.
 *
 * <p>Only nDCG reads gains; the binary measures (AP, RR, R, P) count grades {@code >= 1} as relevant whatever the
 * mapping.
 */
@FunctionalInterface
public interface GainMapping {

    /** trec_eval's default: the gain is the grade itself; grades below 1 give no gain. */
    GainMapping GRADE = grade -> grade >= Qrels.RELEVANT_THRESHOLD ? grade : 0;

    /**
     * Cranfield's inverted scale (1 = complete answer ... 4 = minimum interest, -1 = no interest): gain {@code 5 -
     * grade} for grades 1..4 and 0 otherwise.
     */
    GainMapping CRANFIELD = grade -> grade >= 1 && grade <= 4 ? 5 - grade : 0;

    /**
     * Returns the gain of a grade.
     *
     * @param grade a qrels grade (0 for an unjudged document)
     * @return the gain, {@code >= 0}
     */
    double gain(int grade);
}
