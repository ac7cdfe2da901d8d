"""Cycle time per process step, from the lots and their measurements."""

import pandas as pd


def cycle_time_by_step(input_dfs, partition_date, tenant_id="legacy_mods"):
    lots = input_dfs["lot_history"]
    results = input_dfs["process_result"]
    done = lots[lots["status"] == "COMPLETED"].copy()
    done["minutes"] = (done["end_time"] - done["start_time"]).dt.total_seconds() / 60
    joined = done.merge(results, on=["lot_id", "process_step"], how="left")
    out = joined.groupby("process_step").agg(
        avg_cycle_time=("minutes", "mean"),
        measurements=("result_id", "count"),
    )
    out = out.reset_index()
    out["snapshot_date"] = partition_date
    return out
