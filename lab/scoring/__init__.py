"""Offline scoring research: training, evaluation and simulation on the shared data
(the [ml] extra). Imported by journeyctl's training commands, never by the worker or the API."""
