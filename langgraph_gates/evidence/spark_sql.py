"""The profile queries, written once in DuckDB SQL, translated to Spark SQL with SQLGlot.

Why SQLGlot and not Ibis: the statistics the checks read (counts, missing values, min/max,
class balance, quantile edges and PSI histograms, duplicates) are already defined as DuckDB SQL
in :mod:`langgraph_gates.evidence.tabular`, and that path is the reference whose behaviour and
tests must not move. Transpiling that one text keeps a single definition of each statistic:
the Spark query is *derived* from the DuckDB query at run time, never written by hand. Ibis
would have meant rewriting every query as expressions (a second definition while the port is
under way, and a new DuckDB code path to re-verify), and it pins its own DuckDB and pandas
versions; SQLGlot is one pure-Python package with no dependencies.

SQLGlot's own DuckDB -> Spark translation is right for most of the text (``count_if``,
``isnan``, ``FILTER``, ``GROUP BY ALL``, ``list_contains``, casts). Where the same function
name means something else on Spark, :func:`to_spark` rewrites the tree so the *result* is the
same:

* ``hash(a, b, ...)`` is 64-bit on DuckDB (duplicates and overlap compare row hashes) but
  Murmur3 32-bit on Spark, whose collisions would count ~11,600 false duplicates in 10 million
  rows. It becomes ``xxhash64`` shifted into DuckDB's unsigned range (``DECIMAL(20, 0)``), with
  each argument's ``IS NULL`` hashed too: Spark's hash skips NULL arguments, so ``(1, NULL)``
  and ``(NULL, 1)`` would otherwise collide.
* ``epoch(t)`` (seconds, with the fraction) becomes ``unix_micros(CAST(t AS TIMESTAMP)) / 1e6``;
  the session runs in UTC (see :mod:`langgraph_gates.evidence.spark_table`), as DuckDB reads a
  timestamp without time zone.
* ``quantile_cont(x, [levels])`` becomes Spark's exact ``percentile(x, array(levels))``: both
  interpolate linearly between the order statistics at position ``(n - 1) * level`` (NumPy's
  default), so on the same rows the bin edges are the same numbers.
* ``list_position(list, x)`` (the label's class index) is NULL when ``x`` is not in the list;
  Spark's ``array_position`` returns 0 there. It becomes ``nullif(array_position(...), 0)``.
* ``UBIGINT`` (the sample threshold's type) becomes ``DECIMAL(20, 0)``.
* DuckDB lets ``WHERE`` name a ``SELECT`` alias (``WHERE v IS NOT NULL``); Spark does not, so
  the query is qualified against the tables' columns first, which expands the alias.
* ``?`` parameters are bound as literals in the tree (Spark Connect binds only named ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

__all__ = ["Schema", "SparkStatement", "to_spark"]

Schema = Mapping[str, Any]
"""Column types per table, nested by name part (SQLGlot's schema form): the qualify step needs
them to expand ``SELECT`` aliases that a ``WHERE`` names."""

_UNSIGNED_OFFSET = exp.Literal.number(1 << 63)  # xxhash64 is signed; DuckDB's hash is unsigned
_UBIGINT = exp.DataType.build("DECIMAL(20, 0)")


def _spark_hash(node: exp.Anonymous) -> exp.Expr:
    # The tree is rewritten top-down and a replaced node's children are not visited again:
    # rewrite the arguments here (the sample key is a hash of a row hash).
    args = [a.transform(_rewrite) for a in node.expressions]
    nulls = [exp.Is(this=a.copy(), expression=exp.Null()) for a in args]
    hashed = exp.Anonymous(this="xxhash64", expressions=[*args, *nulls])
    return exp.Paren(
        this=exp.Add(this=exp.cast(hashed, _UBIGINT), expression=_UNSIGNED_OFFSET.copy())
    )


def _spark_epoch(node: exp.TimeToUnix) -> exp.Expr:
    micros = exp.Anonymous(
        this="unix_micros", expressions=[exp.cast(node.this, exp.DataType.Type.TIMESTAMP)]
    )
    return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1000000.0")))


def _spark_percentile(node: exp.PercentileCont) -> exp.Expr:
    return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])


def _spark_list_position(node: exp.Anonymous) -> exp.Expr:
    args = [a.transform(_rewrite) for a in node.expressions]
    found = exp.Anonymous(this="array_position", expressions=args)
    return exp.Nullif(this=found, expression=exp.Literal.number(0))


def _rewrite(node: exp.Expr) -> exp.Expr:
    """One node's Spark equivalent (same result), or the node as it is."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "hash":
        return _spark_hash(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_position":
        return _spark_list_position(node)
    if isinstance(node, exp.TimeToUnix):
        return _spark_epoch(node)
    if isinstance(node, exp.PercentileCont) and isinstance(node.expression, exp.Array):
        return _spark_percentile(node)
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.UBIGINT:
        return _UBIGINT.copy()
    return node


def _bind(tree: exp.Expr, params: Sequence[Any]) -> exp.Expr:
    """Replace the ``?`` placeholders, in order, by the parameters as SQL literals."""
    values = iter(params)

    def bind(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.this is None:
            return exp.convert(next(values))
        return node

    return tree.transform(bind)


def _translate(tree: exp.Expr, schema: Schema, params: Sequence[Any]) -> str:
    if params:
        tree = _bind(tree, params)
    if isinstance(tree, exp.Query):
        tree = qualify(
            tree,
            dialect="duckdb",
            schema=dict(schema),
            quote_identifiers=True,
            validate_qualify_columns=False,
        )
    return tree.transform(_rewrite).sql(dialect="spark")


@dataclass(frozen=True)
class SparkStatement:
    """A DuckDB statement of the profile as Spark SQL.

    Attributes:
        sql: the Spark SQL text.
        view: the temporary view it creates (DuckDB's ``CREATE TEMP TABLE``), if any.
        columns: that view's columns.
    """

    sql: str
    view: str | None = None
    columns: tuple[str, ...] = ()


def to_spark(sql: str, schema: Schema, params: Sequence[Any] = ()) -> SparkStatement:
    """Translate one DuckDB statement of the profile to Spark SQL with the same result.

    A temporary table (the quantile sample) becomes a cached temporary view (``CACHE TABLE``
    materialises it, as DuckDB does), and dropping it drops the view.

    Args:
        sql: the statement as the DuckDB path runs it.
        schema: the columns of the tables it reads (:data:`Schema`).
        params: values for its ``?`` placeholders.

    Raises:
        sqlglot.errors.SqlglotError: the statement cannot be parsed or translated.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        name = tree.this.name
        select = _translate(tree.expression, schema, params)
        columns = tuple(tree.expression.named_selects)
        return SparkStatement(f"CACHE TABLE {name} AS {select}", name, columns)
    dropped = tree.find(exp.Table) if isinstance(tree, exp.Drop) else None
    if dropped is not None:
        return SparkStatement(f"DROP VIEW IF EXISTS {dropped.name}")
    return SparkStatement(_translate(tree, schema, params))
