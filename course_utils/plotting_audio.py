"""Waveform and spectrum figures for the audio notebooks.

Time axes are in seconds and frequency axes in Hz. Each function returns the
matplotlib Figure so that a notebook can save it or log it to TensorBoard.
"""

import matplotlib.pyplot as plt
import numpy as np


def plot_waveforms(waveforms, sample_rate, titles=None, ncols=1, height=1.8, sharey=True):
    """Plot waveforms in a grid, one panel each, against time in seconds.

    Args:
        waveforms: a sequence of 1-D arrays (lengths may differ).
        sample_rate: their sample rate in Hz.
        titles: one title per waveform, or None.
        ncols: number of panel columns.
        height: height of one panel row in inches.
        sharey: use one amplitude scale for all panels.

    Returns:
        matplotlib.figure.Figure
    """
    nrows = int(np.ceil(len(waveforms) / ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, height * nrows),
                                squeeze=False, sharey=sharey)
    for index, axis in enumerate(axes.flat):
        if index >= len(waveforms):
            axis.set_visible(False)
            continue
        waveform = np.asarray(waveforms[index])
        axis.plot(np.arange(len(waveform)) / sample_rate, waveform, linewidth=0.6)
        axis.set_xlabel("time (s)")
        axis.set_ylabel("amplitude")
        if titles is not None:
            axis.set_title(titles[index], fontsize=10)
    figure.tight_layout()
    return figure


def plot_spectra(waveforms, sample_rates, labels, max_frequency=None):
    """Plot the magnitude spectrum in dB of each waveform on one set of axes.

    Args:
        waveforms: a sequence of 1-D arrays.
        sample_rates: the sample rate of each waveform in Hz.
        labels: legend text per waveform.
        max_frequency: upper limit of the frequency axis in Hz, or None.

    Returns:
        matplotlib.figure.Figure
    """
    figure, axis = plt.subplots(figsize=(8, 3))
    for waveform, sample_rate, label in zip(waveforms, sample_rates, labels):
        waveform = np.asarray(waveform, dtype=np.float64)
        spectrum = np.abs(np.fft.rfft(waveform * np.hanning(len(waveform))))
        frequencies = np.fft.rfftfreq(len(waveform), d=1 / sample_rate)
        # 1e-10 keeps log10 finite where the spectrum is exactly zero.
        axis.plot(frequencies, 20 * np.log10(np.maximum(spectrum, 1e-10)), linewidth=0.8,
                  label=label)
    axis.set_xlabel("frequency (Hz)")
    axis.set_ylabel("magnitude (dB)")
    if max_frequency is not None:
        axis.set_xlim(0, max_frequency)
    axis.legend()
    figure.tight_layout()
    return figure
