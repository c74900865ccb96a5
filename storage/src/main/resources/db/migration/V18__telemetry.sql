-- Imago index, version 18: what the console's overview plots (issue 17), kept for a day.
-- Every node samples its own rates (instances received, images inferred, jobs failed, job latency)
-- every few seconds; one node at a time samples the service-wide gauges (queue depth, archive
-- size, deliveries). A plot sums the nodes, so the console shows the whole service from any node.
CREATE TABLE metric_samples (
  at_ms     BIGINT           NOT NULL,
  node      VARCHAR(128)     NOT NULL,
  name      VARCHAR(64)      NOT NULL,
  series    VARCHAR(256)     NOT NULL,
  tenant_id VARCHAR(64),
  val       DOUBLE PRECISION NOT NULL
);
CREATE INDEX metric_samples_at ON metric_samples (at_ms);

-- Each serving or worker process, as it last said it was alive.
CREATE TABLE nodes (
  node       VARCHAR(128)  NOT NULL PRIMARY KEY,
  roles      VARCHAR(64)   NOT NULL,
  started_at TIMESTAMP WITH TIME ZONE NOT NULL,
  last_seen  TIMESTAMP WITH TIME ZONE NOT NULL,
  detail     VARCHAR(4000) NOT NULL
);
