"""ecgstudio.ml: the BiLSTM segmentation model (the only package that imports TensorFlow/Keras).

TensorFlow is imported inside functions only, so importing these modules is cheap.

* :mod:`~ecgstudio.ml.preprocess` — ``prepare_lead`` (250 Hz, baseline), ``normalise_windows``, grid mapping
* :mod:`~ecgstudio.ml.windows` — window starts, tapered overlap-add stitching
* :mod:`~ecgstudio.ml.model` — ``build_model``, ``save_model_pair``, ``load_model_pair`` (``.keras`` + ``.json``)
* :mod:`~ecgstudio.ml.infer` — ``predict_proba`` (leads averaged), ``predict_proba_per_lead``
* :mod:`~ecgstudio.ml.batches` — ``WindowSet`` training windows, ``Augment``
* :mod:`~ecgstudio.ml.train` — ``fit`` / ``fit_arrays`` (early stopping, lr schedule, cancel)
* :mod:`~ecgstudio.ml.cancel` — ``Cancelled`` and progress/cancel callback types
"""
