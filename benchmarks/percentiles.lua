-- wrk's --latency prints 50/75/90/99 only; this prints the percentiles the report uses.
done = function(summary, latency, requests)
  io.write(string.format("PERCENTILES %f %f %f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
