"""scikit-learn adapter: `HPSearchCV`, a search estimator driven by hpcore's strategies.

    from sklearn.datasets import load_digits
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from hpcore import Float, Int
    from hpcore.adapters.sklearn import HPSearchCV

    pipe = Pipeline([("clf", HistGradientBoostingClassifier())])
    search = HPSearchCV(pipe, {"clf__learning_rate": Float(0.01, 0.5, log=True),
                               "clf__max_leaf_nodes": Int(8, 64)},
                        strategy="bayes", n_trials=30, cv=3, random_state=0)
    search.fit(*load_digits(return_X_y=True))
    search.best_params_, search.best_score_, search.cv_results_["mean_test_score"]
"""

from hpcore.adapters.sklearn.search import HPSearchCV

__all__ = ["HPSearchCV"]
