"""score_beater: will a player make more regular-season free throws this season than last?

Modules, from raw events to served probabilities: ``schema`` (column names, seasons),
``counts`` (per player and game), ``labels``, ``inputs`` (point-in-time model inputs and their
validation rules), ``evaluation``, ``baselines`` (scikit-learn), ``model`` (the Keras MLP, the only
TensorFlow module), ``check_export`` (fresh-process SavedModel check) and ``compare`` (the
reference-split comparison).
"""
