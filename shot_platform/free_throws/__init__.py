"""The free-throw domain and its score_beater model: will a player make more regular-season free
throws this season than last?

``schema``, ``rules`` (validation, declared once), ``synthetic`` (generator), ``ingest/``,
``store/``, ``counts`` (per player and game), ``labels``, ``inputs`` (point-in-time model inputs),
``features/`` (the stored point-in-time features), ``evaluation``, ``scoring``, ``assets/`` and
``checks/``; ``scores_api/`` is the Scores API client and its replay server (games one at a time).
The modelling modules (``counts``, ``labels``, ``inputs``, ``evaluation``, ``baselines``,
``model``) come from the score_beater research; TensorFlow is imported only by ``model``.
"""
