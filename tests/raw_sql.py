"""Raw SQL that any table accepts, built from what the database says the table is.

The integrity tests try an INSERT, an UPDATE and a DELETE on every table the schema
has, the way a raw SQL client would. Each statement is made from the table's reflected
columns, so a table added by a later migration is covered without writing new SQL:

- INSERT copies the table's first row with a new primary key, text columns changed
  ('x' for their first character, same length) and single-column unique integers made
  unique again (NULL where allowed, else the largest + 1), so only a trigger refuses it;
- UPDATE changes the first character of the first text column of the first row;
- DELETE removes the last row.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, String, Text, inspect, text

OPERATIONS = ("INSERT", "UPDATE", "DELETE")


def table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def _changed(column: str) -> str:
    return f"'x' || substr({column}, 2)"


def _shape(conn: Connection, table: str) -> tuple[list[dict], list[str], set[str]]:
    """Columns (names quoted), primary key columns and the columns unique on their own."""
    inspector = inspect(conn)
    q = conn.dialect.identifier_preparer.quote
    columns = [{**c, "name": q(c["name"])} for c in inspector.get_columns(table)]
    key = [q(c) for c in inspector.get_pk_constraint(table)["constrained_columns"]]
    single = [u["column_names"] for u in inspector.get_unique_constraints(table)]
    single += [i["column_names"] for i in inspector.get_indexes(table) if i["unique"]]
    return columns, key, {q(names[0]) for names in single if len(names) == 1}


def statement(conn: Connection, table: str, operation: str) -> str:
    """The raw `operation` (INSERT, UPDATE or DELETE) of one row of `table`."""
    columns, key, unique = _shape(conn, table)
    order = ", ".join(key)
    first = f"(SELECT {key[0]} FROM {table} ORDER BY {order} LIMIT 1)"
    texts = [c["name"] for c in columns if isinstance(c["type"], String | Text)]
    if operation == "UPDATE":
        column = next(c for c in texts if c not in key) if len(texts) > len(key) else texts[0]
        return f"UPDATE {table} SET {column} = {_changed(column)} WHERE {key[0]} = {first}"
    if operation == "DELETE":
        last = f"(SELECT {key[0]} FROM {table} ORDER BY {order} DESC LIMIT 1)"
        return f"DELETE FROM {table} WHERE {key[0]} = {last}"
    values = []
    for c in columns:
        name = c["name"]
        if name in texts:
            values.append(_changed(name))
        elif isinstance(c["type"], Integer) and (name in key or name in unique):
            values.append("NULL" if c["nullable"] and name not in key
                          else f"(SELECT MAX({name}) + 1 FROM {table})")
        else:
            values.append(name)
    names = ", ".join(c["name"] for c in columns)
    return (f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM {table} "
            f"WHERE {key[0]} = {first}")


def rows(conn: Connection, table: str) -> int:
    return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
