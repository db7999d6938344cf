"""The DuckDB -> Spark SQL translation of the profile's queries (no server: the text only).

The results on a real server are compared in tests/spark; here each rewrite that makes a
Spark function mean what the DuckDB one means is pinned, with the reason it is needed.
"""

from __future__ import annotations

import pytest

from langgraph_gates.dossier import TableRef, validate_dossier
from langgraph_gates.errors import DossierError
from langgraph_gates.evidence.spark_sql import to_spark
from langgraph_gates.gates.data_readiness import write_sections

from ..conftest import MakeCtx

SCHEMA = {"gates_src_1": {"x": "DOUBLE", "c": "VARCHAR", "ts": "TIMESTAMP", "Age": "INTEGER"}}


def spark(sql: str, *params: object) -> str:
    return to_spark(sql, SCHEMA, params).sql


def test_row_hashes_are_64_bit_and_see_nulls() -> None:
    # Spark's hash() is 32-bit Murmur3 and skips NULL arguments: (1, NULL) = (NULL, 1).
    out = spark('SELECT count(DISTINCT hash("x", "c")) FROM gates_src_1')
    assert "XXHASH64(" in out and "HASH(" not in out.replace("XXHASH64(", "")
    assert "`x` IS NULL" in out and "`c` IS NULL" in out
    assert "DECIMAL(20, 0)" in out  # DuckDB's hash is unsigned 64-bit


def test_a_hash_of_a_hash_is_rewritten_inside_too() -> None:
    out = spark('SELECT count(*) FROM gates_src_1 WHERE hash(hash("x", "c")) < 5::UBIGINT')
    assert out.count("XXHASH64(") == 3  # the outer one and the inner one (twice: value, IS NULL)
    assert "UBIGINT" not in out


def test_quantiles_use_the_exact_percentile_with_linear_interpolation() -> None:
    out = spark("SELECT quantile_cont(x, [0.25, 0.5]) FROM gates_src_1")
    assert "PERCENTILE(`gates_src_1`.`x`, ARRAY(0.25, 0.5))" in out


def test_epoch_keeps_the_fraction_of_a_second() -> None:
    out = spark('SELECT epoch(min("ts")) FROM gates_src_1')
    assert "UNIX_MICROS(CAST(MIN(`gates_src_1`.`ts`) AS TIMESTAMP)) / 1000000.0" in out


def test_a_where_that_names_a_select_alias_is_expanded() -> None:
    out = spark(
        'SELECT v, count(*) FROM (SELECT CAST("c" AS VARCHAR) AS v FROM gates_src_1 '
        "WHERE v IS NOT NULL) GROUP BY v"
    )
    assert "WHERE NOT CAST(`gates_src_1`.`c` AS STRING) IS NULL" in out


def test_a_value_not_in_the_list_has_no_position_on_either_engine() -> None:
    # DuckDB's list_position gives NULL for a value not in the list; array_position gives 0.
    out = spark("SELECT coalesce(list_position(['a', 'b'], \"c\"), -1) FROM gates_src_1")
    assert "NULLIF(ARRAY_POSITION(ARRAY('a', 'b'), `gates_src_1`.`c`), 0)" in out
    assert "LIST_POSITION" not in out


def test_the_overlap_semi_join_and_window_totals_translate() -> None:
    out = spark(
        "WITH v AS (SELECT hash(x) AS h, count(*) OVER () AS n FROM gates_src_1) "
        "SELECT count(*) FROM v SEMI JOIN v AS w USING (h)"
    )
    assert "SEMI JOIN" in out and "COUNT(*) OVER ()" in out


def test_placeholders_are_bound_as_literals() -> None:
    out = spark('SELECT list_contains(?, "c") FROM gates_src_1', ["a", "it's"])
    assert "ARRAY_CONTAINS(ARRAY('a', 'it''s'), `gates_src_1`.`c`)" in out.replace("\\'", "''")


def test_a_temporary_table_becomes_a_cached_view_and_is_dropped_as_one() -> None:
    made = to_spark('CREATE TEMP TABLE gates_sample AS SELECT CAST("x" AS DOUBLE) AS c0 FROM gates_src_1', SCHEMA)
    assert made.sql.startswith("CACHE TABLE gates_sample AS SELECT")
    assert made.view == "gates_sample" and made.columns == ("c0",)
    assert to_spark("DROP TABLE gates_sample", SCHEMA).sql == "DROP VIEW IF EXISTS gates_sample"


def test_a_table_outside_the_schema_is_refused() -> None:
    with pytest.raises(Exception, match=r"missing source schemas|Cannot resolve"):
        spark('SELECT v FROM (SELECT CAST("c" AS VARCHAR) AS v FROM other WHERE v IS NOT NULL)')


# --- the dossier's table form -------------------------------------------------------------


def test_the_dossier_takes_a_spark_table_for_data_and_predictions() -> None:
    d = validate_dossier(
        {
            "data": {
                "train": {"table": "cat.db.train", "engine": "spark"},
                "test": {"table": "cat.db.test", "engine": "spark"},
                "serving": "s.csv",
            },
            "performance": {"predictions": {"table": "cat.db.preds", "engine": "spark"}},
        }
    )
    assert d.data.train == TableRef(table="cat.db.train", engine="spark")
    assert str(d.data.train) == "spark:cat.db.train"
    # A table is no path: only the file is path-checked against the dossier's folder.
    assert list(d.path_fields()) == [("data.serving", "s.csv")]


def test_the_data_readiness_section_names_a_test_table(make_ctx: MakeCtx) -> None:
    test = {"table": "cat.db.test", "engine": "spark"}
    ctx = make_ctx({"data": {"train": "train.parquet", "test": test}})
    files = write_sections(ctx, [])["Data sources and ownership"]
    assert "train: train.parquet" in files and "test: spark:cat.db.test" in files


@pytest.mark.parametrize(
    "value",
    [
        {"table": "t", "engine": "bigquery"},
        {"table": "", "engine": "spark"},
        {"table": "t"},
    ],
)
def test_a_malformed_table_reference_is_refused(value: dict[str, str]) -> None:
    with pytest.raises(DossierError):
        validate_dossier({"data": {"train": value}})
