{{/* The API's name: Services are addressed as runtime-api.<namespace>.svc. */}}
{{- define "runtime-api.name" -}}
{{- .Values.nameOverride | default "runtime-api" | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "runtime-api.dbName" -}}
{{- printf "%s-db" (include "runtime-api.name" .) -}}
{{- end -}}

{{- define "runtime-api.image" -}}
{{- $repo := .Values.image.repository | default (printf "ghcr.io/illm-k8s-ai-lab/runtime-%s" .Values.runtime) -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* FinOps cost-allocation labels: cost tools aggregate by these keys. */}}
{{- define "runtime-api.costLabels" -}}
lab.illm.dev/phase: {{ .Values.costLabels.phase | quote }}
lab.illm.dev/experiment: {{ .Values.costLabels.experiment | quote }}
lab.illm.dev/variant: {{ .Values.costLabels.variant | default .Values.runtime | quote }}
lab.illm.dev/component: {{ .Values.costLabels.component | quote }}
lab.illm.dev/cost-center: {{ .Values.costLabels.costCenter | quote }}
{{- end -}}

{{- define "runtime-api.selectorLabels" -}}
app.kubernetes.io/name: {{ include "runtime-api.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "runtime-api.labels" -}}
{{ include "runtime-api.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
lab.illm.dev/runtime: {{ .Values.runtime }}
{{ include "runtime-api.costLabels" . }}
{{- end -}}
