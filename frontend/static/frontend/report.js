// Draws an instrument report's charts (Chart.js, served locally) from JSON embedded in the
// page: holdings by jurisdiction and by investor category, and the largest holders' share.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("report-chart-data");
  if (!data || typeof Chart === "undefined") return;
  const charts = JSON.parse(data.textContent);
  const draw = (id, type, series, options) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, { type, data: { labels: series.labels, datasets: [{ data: series.values }] }, options });
    canvas.dataset.rendered = "true";
  };
  const legend = { plugins: { legend: { position: "bottom" } } };
  draw("report-jurisdiction-chart", "doughnut", charts.jurisdictions, legend);
  draw("report-category-chart", "doughnut", charts.categories, legend);
  draw("report-concentration-chart", "bar", charts.concentration, {
    plugins: { legend: { display: false } },
    scales: { y: { beginAtZero: true, max: 100 } },
  });
});
