// Draws the register's charts (Chart.js, served locally) from JSON embedded in the page:
// the holder distribution (top holders and the others) and issue size, issued, outstanding.
document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("register-chart-data");
  if (!data || typeof Chart === "undefined") return;
  const charts = JSON.parse(data.textContent);
  const distribution = document.getElementById("register-distribution-chart");
  if (distribution) {
    new Chart(distribution, {
      type: "doughnut",
      data: {
        labels: charts.distribution.labels,
        datasets: [{ label: charts.distribution.unit, data: charts.distribution.values }],
      },
      options: { plugins: { legend: { position: "right" } } },
    });
    distribution.dataset.rendered = "true";
  }
  const issue = document.getElementById("register-issue-chart");
  if (issue) {
    new Chart(issue, {
      type: "bar",
      data: { labels: charts.issue.labels, datasets: [{ label: charts.issue.unit, data: charts.issue.values }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
    });
    issue.dataset.rendered = "true";
  }
});
