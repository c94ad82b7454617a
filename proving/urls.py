from django.urls import path

from proving import apis

urlpatterns = [
    path("proof-jobs/", apis.ProofJobListCreateApi.as_view(), name="proof-job-list"),
    path("proof-jobs/<uuid:job_id>/", apis.ProofJobDetailApi.as_view(), name="proof-job-detail"),
]
