"""Split indices into train, validation and test sets, by class or by speaker.

A random split of speech data puts clips of the same speaker into both the
training and the test set, so the test accuracy partly measures how well the
model knows those voices. ``speaker_split`` keeps every speaker in one set.
"""

import numpy as np
from sklearn.model_selection import train_test_split

DEFAULT_FRACTIONS = (0.70, 0.15, 0.15)


def _check_fractions(fractions):
    if len(fractions) != 3 or min(fractions) <= 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be three positive numbers (train, val, test) that "
                         f"sum to 1, got {fractions!r}.")


def stratified_split(y, fractions=DEFAULT_FRACTIONS, seed=42):
    """Return train, validation and test index arrays with class proportions kept.

    Args:
        y: class labels ``(n,)``.
        fractions: the train, validation and test shares, summing to 1.
        seed: random seed; the same seed and labels give the same split.

    Returns:
        Three sorted int64 index arrays.
    """
    _check_fractions(fractions)
    y = np.asarray(y)
    indices = np.arange(len(y))
    train, rest = train_test_split(indices, train_size=fractions[0], stratify=y,
                                   random_state=seed)
    val_share = fractions[1] / (fractions[1] + fractions[2])
    val, test = train_test_split(rest, train_size=val_share, stratify=y[rest],
                                 random_state=seed)
    return tuple(np.sort(part).astype(np.int64) for part in (train, val, test))


def speaker_split(speakers, fractions=DEFAULT_FRACTIONS, seed=42):
    """Return train, validation and test index arrays with disjoint speakers.

    Speakers, not clips, are shuffled and divided by ``fractions``. The
    validation and test sets each get at least one speaker, so at least three
    speakers are needed. The clip counts follow the speakers' clip counts, so
    they match ``fractions`` only when speakers have similar numbers of clips.

    Args:
        speakers: the speaker of each clip ``(n,)``.
        fractions: the train, validation and test shares of speakers.
        seed: random seed for the speaker shuffle.

    Returns:
        Three sorted int64 index arrays.
    """
    _check_fractions(fractions)
    speakers = np.asarray(speakers)
    names = np.unique(speakers)
    if len(names) < 3:
        raise ValueError(f"A speaker-aware split needs at least 3 speakers, got {len(names)} "
                         f"({', '.join(map(str, names))}). Use split='random' instead.")

    order = np.random.default_rng(seed).permutation(names)
    n_test = max(1, int(round(fractions[2] * len(names))))
    n_val = max(1, int(round(fractions[1] * len(names))))
    n_val = min(n_val, len(names) - n_test - 1)
    groups = (order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test])
    return tuple(np.flatnonzero(np.isin(speakers, group)).astype(np.int64) for group in groups)


def stratified_subset(y, max_count, seed=42):
    """Return sorted indices of at most ``max_count`` items, keeping class shares.

    Falls back to a plain random choice when ``max_count`` is smaller than the
    number of classes, because a stratified draw needs one item per class.
    None or a ``max_count`` of at least ``len(y)`` keeps every index.
    """
    y = np.asarray(y)
    indices = np.arange(len(y))
    if max_count is None or max_count >= len(y):
        return indices
    if max_count < 1:
        raise ValueError(f"max_count must be at least 1 or None, got {max_count!r}.")

    n_classes = len(np.unique(y))
    counts = np.unique(y, return_counts=True)[1]
    if max_count < n_classes or counts.min() < 2:
        chosen = np.random.default_rng(seed).choice(indices, size=max_count, replace=False)
    else:
        chosen, _ = train_test_split(indices, train_size=max_count, stratify=y,
                                     random_state=seed)
    return np.sort(chosen).astype(np.int64)
