"""interaction log: full-text search and the event hash chain

Revision ID: a6b100000001
Revises: dfc59b9cb524
Create Date: 2026-11-24 00:20:00

SQLite: an FTS5 table over messages.body (external content: the text stays in messages),
kept in step by triggers on insert, update and delete; diacritics folded, so
"zaswiadczenie" finds "zaświadczenie". A later migration that recreates the messages table
(batch "move and copy") drops these triggers and must create them again (see FTS_TRIGGERS).

PostgreSQL: a stored column messages.body_tsv = to_tsvector('okienko_search', body) with a
GIN index (the column is not in the model: SQLite has none; autogenerate must skip it, as it
must skip the messages_fts tables). The text search
configuration okienko_search is the 'simple' one, with unaccent before it when the unaccent
extension can be created (it is a trusted extension from PostgreSQL 13: the database's owner
may create it); without it, searching needs the diacritics the resident typed.

Both: the chain hash and sealing time of each timeline event, and an index on when an
interaction started (the log's date filter).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b100000001'
down_revision = 'dfc59b9cb524'
branch_labels = None
depends_on = None

FTS_TABLE = """
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body, content='messages', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
)"""
FTS_TRIGGERS = (
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
    END""",
)
PG_CONFIG = "okienko_search"


def upgrade():
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sealed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index('ix_interactions_created_at', ['created_at'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(FTS_TABLE)
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    elif bind.dialect.name == "postgresql":
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)")
        if _unaccent_available(bind):
            op.execute(f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR "
                       "hword, hword_part, word WITH unaccent, simple")
        # Stored, so reading the newest matches off the primary key does not re-parse every
        # message; not in the model (SQLite has no such column): the queries name it.
        op.execute(f"ALTER TABLE messages ADD COLUMN body_tsv tsvector GENERATED ALWAYS AS "
                   f"(to_tsvector('{PG_CONFIG}'::regconfig, body)) STORED")
        op.execute("CREATE INDEX ix_messages_body_fts ON messages USING gin (body_tsv)")


def _unaccent_available(bind) -> bool:
    """Create the unaccent extension if this role may; False (and no harm done) if not."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
        return True
    except sa.exc.DBAPIError:
        return False


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS messages_fts_{name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_fts")
        op.execute("ALTER TABLE messages DROP COLUMN IF EXISTS body_tsv")
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")
        # The unaccent extension stays: other databases objects may use it.
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_created_at')
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.drop_column('sealed_at')
        batch_op.drop_column('chain_hash')
