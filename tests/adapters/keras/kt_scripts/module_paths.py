import keras_tuner as kt
from _common import report

names = {
    "kt.tuners.RandomSearch": kt.tuners.RandomSearch,
    "kt.tuners.Hyperband": kt.tuners.Hyperband,
    "kt.tuners.BayesianOptimization": kt.tuners.BayesianOptimization,
    "kt.tuners.SklearnTuner": kt.tuners.SklearnTuner,
    "kt.oracles.BayesianOptimizationOracle": kt.oracles.BayesianOptimizationOracle,
    "kt.oracles.RandomSearchOracle": kt.oracles.RandomSearchOracle,
    "kt.oracles.HyperbandOracle": kt.oracles.HyperbandOracle,
    "kt.engine.hyperparameters.HyperParameters": kt.engine.hyperparameters.HyperParameters,
    "kt.engine.tuner.Tuner": kt.engine.tuner.Tuner,
    "kt.engine.trial.Trial": kt.engine.trial.Trial,
    "kt.errors.FailedTrialError": kt.errors.FailedTrialError,
    "kt.errors.FatalError": kt.errors.FatalError,
    "kt.HyperParameters": kt.HyperParameters,
    "kt.HyperModel": kt.HyperModel,
    "kt.Objective": kt.Objective,
}
report(found=sorted(name for name, obj in names.items() if obj is not None),
       version_is_str=isinstance(kt.__version__, str),
       same_tuner=kt.tuners.RandomSearch is kt.RandomSearch,
       same_hp=kt.engine.hyperparameters.HyperParameters is kt.HyperParameters,
       objective=str(kt.Objective("val_accuracy", "max")))
