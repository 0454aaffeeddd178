-- wrk script for tests/bench/fleet.py: each request asks /scrape for a random target of
-- the fleet (FLEET_DIR/t<i>.sock, i < FLEET_N), as Prometheus does for each of its targets,
-- paced by a 1 ms pause between requests (about 900 a second on one connection; Prometheus
-- scraping 10,000 targets every 15 s asks about 670 a second). Back to back, wrk and the
-- exporter's HTTP thread would each take one of the machine's two cores and the figure
-- would measure the scheduler.
local dir = os.getenv("FLEET_DIR")
local n = tonumber(os.getenv("FLEET_N"))

function init(args)
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", "/scrape?target=" .. dir .. "/t" .. math.random(0, n - 1) .. ".sock")
end

function delay()
  return 1
end

function done(summary, latency, requests)
  io.write(string.format("FLEET_SCRAPE p50_us=%d p99_us=%d requests=%d errors=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
