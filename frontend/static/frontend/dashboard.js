// Draws the dashboard's charts from JSON embedded in the page (Chart.js, served locally).
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("organisations-chart-data");
  const canvas = document.getElementById("organisations-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: chart.labels, datasets: [{ label: "Organisations", data: chart.values }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  canvas.dataset.rendered = "true";
});
