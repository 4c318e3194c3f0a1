"""The public API is what __all__ says; this pins it so changes are deliberate."""

import importlib

import pytest

import isolde

EXPECTED = [
    "Anomaly", "BadInput", "CheckConfig", "Checker", "History", "IsoldeError", "Op", "Result",
    "Scenario", "Store", "UsageError", "__version__", "compose", "load_history", "make_checker",
    "run_checkers", "run_scenario",
]


def test_all_is_pinned_and_sorted() -> None:
    assert isolde.__all__ == EXPECTED
    assert sorted(isolde.__all__) == isolde.__all__
    for name in isolde.__all__:
        assert hasattr(isolde, name)

# Each subpackage's __all__: what a user (or a plugin author) needs, nothing internal.
SUBPACKAGES = {
    "isolde.histories": [
        "DEFAULT_MAX_LINE", "DETECTORS", "FAIL", "INFO", "INVOKE", "NEMESIS", "OK", "OP_TYPES",
        "READERS", "STDIN", "ColumnsView", "History", "HistoryInput", "HistoryWriter",
        "LoadLimits", "Op", "Process", "TxnColumns", "cite_position", "convert", "detect_edn",
        "detect_format", "detect_porcupine",
        "dumps_edn", "hashable", "iter_edn", "load_history", "op_from_dict", "parse_txn",
        "read_edn", "read_jsonl", "read_porcupine_etcd", "read_porcupine_kv", "txn_history",
        "write_edn", "write_jsonl",
    ],
    "isolde.harness": [
        "MAX_NUMBER", "MIXED", "READ_MODES", "STORES", "AuditPlan", "Audited",
        "CancelledAfterSend", "ChangeStream", "Client", "ClientFaultable", "ClientFaults",
        "ClientTimeout",
        "Context", "Counters", "DiskFull", "EachWorker", "Emulator", "EmulatorRecipe", "FnGen",
        "Forgetting",
        "Generator", "Independent", "Lazy", "Limit", "Limited", "Managed", "Mix", "Once",
        "OpSpec", "Ops",
        "Outcome", "Phases", "Prepared", "ProcessControl", "Promising", "Recorder", "Redirectable",
        "RunDirAware", "RunLimits", "Runner", "Scenario", "Sizing", "Stagger", "Store",
        "StoreContext",
        "StoreSpec", "StreamEvent", "Streaming", "TimeLimit", "TxnBounded", "Wait", "at_most",
        "build_generator", "check_config",
        "check_read_consistency", "claim",
        "exponential_index", "forward_to_sigint", "link_latest", "make_store", "new_run_dir",
        "nonnegative_float", "option", "positive_float", "positive_int", "prepare_audit",
        "prepare_scenario", "rate", "require", "run_scenario", "scenario_workload",
        "signal_exit_code", "store_spec",
        "whole_number", "write_json",
    ],
    "isolde.harness.stores": [
        "STORES", "make_store", "store_spec",
    ],
    "isolde.harness.stores.cosmos": [
        "CAPABILITIES", "CLIENT_FAULTS", "COSMOS", "COSMOSDB_SERVER", "COSMOS_EMULATOR",
        "EMULATOR_KEY", "LEVELS",
        "PREFIX", "RETRY_AFTER_MS", "STATUS", "CloudOptions", "CosmosEmulatorStore",
        "CosmosOptions", "CosmosStore", "CosmosStoreBase", "CosmosWorker", "Usage", "Verdict",
        "check_level", "check_name", "classify", "new_name",
    ],
    "isolde.harness.stores.dynamodb": [
        "CANCELLATION_REASONS", "CAPABILITIES", "DYNALITE", "DYNALITE_SPEC", "DYNAMODB",
        "DYNAMODB_LOCAL", "DYNAMODB_LOCAL_SPEC", "ERROR_CODES", "MOTO", "MOTO_SPEC",
        "NO_TRANSACTIONS", "PREFIX", "PRICES", "SPECS", "TRANSPORT_ERRORS", "CloudOptions",
        "DynaliteStore", "DynamoDBLocalStore", "DynamoDBStore", "DynamoOptions", "DynamoStoreBase",
        "EmulatedStore", "MotoStore", "PersistentOptions", "Secrets", "Usage", "Verdict",
        "check_table_name", "classify", "estimate", "new_table_name",
    ],
    "isolde.harness.stores.firestore": [
        "CAPABILITIES", "FIRESTORE", "FIRESTORE_EMULATOR", "FIRESTORE_EMULATOR_SPEC", "PRICES",
        "READ_MODES", "STATUS", "CloudOptions", "FirestoreEmulatorSpec", "FirestoreEmulatorStore",
        "FirestoreOptions", "FirestoreStore", "Usage", "classify", "estimate",
    ],
    "isolde.harness.emulators": [
        "HOST", "EmulatorError", "EmulatorSpec", "ManagedProcess", "ProcessEmulator", "cache_dir",
        "emulators_dir", "free_port", "get_recipe", "http_ready", "make_emulator", "npm_install",
        "npm_pack_extract", "port_open", "recipes",
    ],
    "isolde.harness.testing": [
        "CHECKS", "ConformanceError", "StoreConformance", "check_bank", "check_cas",
        "check_errors", "check_outbox", "check_process_control", "check_register",
        "check_transactions", "leftovers", "run_check",
    ],
    "isolde.checkers": [
        "CHECKERS", "KINDS", "STREAM_STATES", "UNKNOWN", "Anomaly", "CausalChecker",
        "ChangeStreamChecker",
        "CheckConfig", "Checker",
        "Result", "StalenessChecker", "StatsChecker", "Validity", "compose", "default_checkers",
        "exit_code", "make_checker", "merge_validity", "nearest_rank", "op_kinds",
        "parse_lag_sla", "parse_sla",
        "refuse_unjudgeable", "run_checkers", "show_value", "true_counts",
    ],
    "isolde.checkers.isolation": [
        "CYCLE_TYPES", "DEFAULT_MODELS", "MODELS", "ListAppendChecker", "RwRegisterChecker",
        "check_names", "forbidden", "ruled_out", "strongest_allowed", "txn_checker",
    ],
    "isolde.workloads": [
        "WORKLOADS", "Consuming", "KeyScoped", "TxnSized", "Workload", "WorkloadOptions",
        "WorkloadSpec",
        "make_workload",
    ],
    "isolde.nemesis": [
        "FAULT_NAMES", "Fault", "FaultWindow", "Nemesis", "NemesisOptions", "Resource",
        "Unsupported", "WindowIndex", "fault_summary", "fault_windows", "make_nemesis",
        "supported_faults",
    ],
    "isolde.report": [
        "add_report_parser", "check_results", "junit_xml", "render_summary", "run_report",
        "verdict_text", "verdict_word", "write_junit",
    ],
    "isolde.report.html": [
        "MAX_BYTES", "REPORT_FILE", "TREND_FILE", "ReportInput", "RunFlag", "RunFlags",
        "load_report_input", "render_html", "render_trend", "write_report", "write_trend",
    ],
    # The pytest plugin's Python side (docs/ci.md): a run as a function, the user's app as the
    # store (AppStore also serves run_scenario), the app protocols and Refused.
    "isolde.plugin": [
        "AppStore", "BankApp", "Refused", "RegisterApp", "RunResult", "isolde_run",
    ],
}


@pytest.mark.parametrize("module", sorted(SUBPACKAGES))
def test_subpackage_all_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(SUBPACKAGES[module])
    assert len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert hasattr(mod, name), name
