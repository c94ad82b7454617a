// Draws the coupon cash flows of an instrument page from JSON embedded in it (Chart.js, served locally).
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("coupon-chart-data");
  const canvas = document.getElementById("coupon-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: { labels: chart.labels, datasets: [{ label: chart.label, data: chart.values }] },
    options: { scales: { y: { beginAtZero: true } } },
  });
  canvas.dataset.rendered = "true";
});
