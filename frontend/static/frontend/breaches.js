// Draws breaches opened and resolved per day (Chart.js, served locally) from JSON in the page.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("breach-chart-data");
  const canvas = document.getElementById("breach-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: [
        { label: "Opened", data: chart.opened },
        { label: "Resolved", data: chart.resolved },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  canvas.dataset.rendered = "true";
});
