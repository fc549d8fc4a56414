"""real exports: row warnings, kept snapshots, ARDEBT's own rayon and PCEZ, saved settings, mapping profiles

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rows_warned', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('profile', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('kept', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('upload_error', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='error'))
    with op.batch_alter_table('ardebt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rayon', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('pcez', sa.String(length=8), nullable=True))
    # Replaced snapshots keep their rows here (DATA.md, Loading rules), one table per snapshot type.
    op.create_table(
        'mc_superseded',
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('nama', sa.String(length=200), nullable=True),
        sa.Column('alamat', sa.String(length=400), nullable=True),
        sa.Column('zona_novak', sa.String(length=12), nullable=True),
        sa.Column('rayon', sa.String(length=8), nullable=True),
        sa.Column('pcez', sa.String(length=8), nullable=True),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        sa.Column('nomet', sa.String(length=40), nullable=True),
        sa.Column('tgl_catat', sa.Date(), nullable=True),
        sa.Column('stan_awal', sa.BigInteger(), nullable=True),
        sa.Column('stan_akir', sa.BigInteger(), nullable=True),
        sa.Column('kubik', sa.BigInteger(), nullable=True),
        sa.Column('nominal', sa.BigInteger(), nullable=False),
        sa.Column('notagihan', sa.String(length=40), nullable=True),
        sa.Column('cust_type', sa.String(length=32), nullable=True),
    )
    op.create_index('ix_mc_superseded_upload_id', 'mc_superseded', ['upload_id'])
    op.create_index('ix_mc_superseded_periode', 'mc_superseded', ['periode'])
    op.create_table(
        'sbrs_superseded',
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('stand_lalu', sa.BigInteger(), nullable=False),
        sa.Column('stand_kini', sa.BigInteger(), nullable=False),
        sa.Column('pakai', sa.BigInteger(), nullable=True),
        sa.Column('volume', sa.BigInteger(), nullable=False),
        sa.Column('read_method', sa.String(length=32), nullable=True),
        sa.Column('skip_code', sa.String(length=64), nullable=True),
        sa.Column('trouble_code', sa.String(length=64), nullable=True),
        sa.Column('special_msg', sa.String(length=200), nullable=True),
        sa.Column('read_date', sa.Date(), nullable=True),
        sa.Column('route', sa.String(length=32), nullable=True),
        sa.Column('rayon', sa.String(length=8), nullable=True),
        sa.Column('nama', sa.String(length=200), nullable=True),
        sa.Column('alamat', sa.String(length=400), nullable=True),
        sa.Column('nomet', sa.String(length=40), nullable=True),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        sa.Column('bill_period', sa.String(length=7), nullable=True),
        sa.Column('bill_amount', sa.BigInteger(), nullable=True),
    )
    op.create_index('ix_sbrs_superseded_upload_id', 'sbrs_superseded', ['upload_id'])
    op.create_index('ix_sbrs_superseded_periode', 'sbrs_superseded', ['periode'])
    op.create_table(
        'mainbill_superseded',
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('bill_period', sa.String(length=7), nullable=True),
        sa.Column('tgl_tagihan', sa.Date(), nullable=True),
        sa.Column('pakai', sa.BigInteger(), nullable=True),
        sa.Column('tarif', sa.String(length=16), nullable=True),
        sa.Column('pcezbk', sa.String(length=12), nullable=True),
        sa.Column('rayon', sa.String(length=8), nullable=True),
        sa.Column('jenis_rek', sa.String(length=16), nullable=True),
    )
    op.create_index('ix_mainbill_superseded_upload_id', 'mainbill_superseded', ['upload_id'])
    op.create_index('ix_mainbill_superseded_periode', 'mainbill_superseded', ['periode'])
    op.create_table(
        'ardebt_superseded',
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('nomen', sa.String(length=20), nullable=False),
        sa.Column('bill_period', sa.String(length=7), nullable=True),
        sa.Column('amount', sa.BigInteger(), nullable=True),
        sa.Column('volume', sa.BigInteger(), nullable=True),
        sa.Column('bills', sa.Integer(), nullable=True),
        sa.Column('total', sa.BigInteger(), nullable=True),
        sa.Column('rayon', sa.String(length=8), nullable=True),
        sa.Column('pcez', sa.String(length=8), nullable=True),
    )
    op.create_index('ix_ardebt_superseded_upload_id', 'ardebt_superseded', ['upload_id'])
    op.create_index('ix_ardebt_superseded_periode', 'ardebt_superseded', ['periode'])
    op.create_table(
        'rute_superseded',
        sa.Column('upload_id', sa.Integer(), nullable=False),
        sa.Column('periode', sa.String(length=7), nullable=False),
        sa.Column('pcez', sa.String(length=16), nullable=False),
        sa.Column('petugas', sa.String(length=120), nullable=False),
        sa.Column('rayon', sa.String(length=8), nullable=True),
    )
    op.create_index('ix_rute_superseded_upload_id', 'rute_superseded', ['upload_id'])
    op.create_index('ix_rute_superseded_periode', 'rute_superseded', ['periode'])
    op.create_table(
        'saved_setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_table(
        'mapping_profile',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('file_type', sa.String(length=16), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('headers', sa.Text(), nullable=False),
        sa.Column('mapping', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_index('ix_mapping_profile_signature', 'mapping_profile', ['signature'])
    # PCEZ as 5 digits everywhere (DATA.md): a RUTE stored with 7-digit codes (rayon + PCEZ) or
    # 9-digit zones by an earlier version would match none of its customers.
    op.execute("UPDATE rute SET pcez = substr(pcez, 3, 5) WHERE length(pcez) IN (7, 9)")


def downgrade() -> None:
    op.drop_table('mapping_profile')
    op.drop_table('saved_setting')
    for table in ('rute', 'ardebt', 'mainbill', 'sbrs', 'mc'):
        op.drop_table(f'{table}_superseded')
    with op.batch_alter_table('ardebt', schema=None) as batch_op:
        batch_op.drop_column('pcez')
        batch_op.drop_column('rayon')
    with op.batch_alter_table('upload_error', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('upload', schema=None) as batch_op:
        batch_op.drop_column('kept')
        batch_op.drop_column('profile')
        batch_op.drop_column('rows_warned')
