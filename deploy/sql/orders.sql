-- The order flow (docs/domain.md): one row per operation on an order, sharded by buyer into
-- trade_order_stream_0000 ... _0003. Run in the order database (e.g. orders).
CREATE TABLE IF NOT EXISTS trade_order_stream_0000 (
  id                   BIGINT        NOT NULL AUTO_INCREMENT,
  gmt_create           DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  gmt_modified         DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  order_id             VARCHAR(32)   NOT NULL,
  buyer_id             VARCHAR(32)   NOT NULL,
  buyer_type           VARCHAR(32)   NOT NULL DEFAULT 'CUSTOMER',
  seller_id            VARCHAR(32)   NOT NULL,
  seller_type          VARCHAR(32)   NOT NULL DEFAULT 'PLATFORM',
  identifier           VARCHAR(128)  NOT NULL,
  goods_id             VARCHAR(32)   NOT NULL,
  goods_type           VARCHAR(32)   NOT NULL,
  goods_name           VARCHAR(512)  NULL,
  order_amount         DECIMAL(18,6) NOT NULL,
  paid_amount          DECIMAL(18,6) NULL,
  item_price           DECIMAL(18,6) NOT NULL,
  item_count           INT           NOT NULL,
  order_state          VARCHAR(32)   NOT NULL,
  pay_succeed_time     DATETIME(3)   NULL,
  order_confirmed_time DATETIME(3)   NULL,
  order_finished_time  DATETIME(3)   NULL,
  order_closed_time    DATETIME(3)   NULL,
  close_type           VARCHAR(32)   NULL,
  deleted              TINYINT       NOT NULL DEFAULT 0,
  lock_version         INT           NOT NULL DEFAULT 0,
  snapshot_version     INT           NOT NULL DEFAULT 0,
  stream_identifier    VARCHAR(128)  NOT NULL,
  stream_type          VARCHAR(128)  NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_stream (stream_type, stream_identifier, order_id),
  KEY idx_order (order_id),
  KEY idx_modified (gmt_modified)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS trade_order_stream_0001 LIKE trade_order_stream_0000;
CREATE TABLE IF NOT EXISTS trade_order_stream_0002 LIKE trade_order_stream_0000;
CREATE TABLE IF NOT EXISTS trade_order_stream_0003 LIKE trade_order_stream_0000;
