{{/* Names, labels and shared pieces of the Cable chart. */}}

{{- define "cable.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every object's name (trimmed so suffixes still fit). */}}
{{- define "cable.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "cable.gatewayName" -}}{{ include "cable.fullname" . }}-gateway{{- end -}}
{{- define "cable.serviceName" -}}{{ include "cable.fullname" . }}-service{{- end -}}
{{- define "cable.headlessName" -}}{{ include "cable.fullname" . }}-service-headless{{- end -}}
{{- define "cable.natsName" -}}{{ include "cable.fullname" . }}-nats{{- end -}}
{{- define "cable.natsHeadlessName" -}}{{ include "cable.fullname" . }}-nats-headless{{- end -}}

{{/* The gateways' port name: "https" with gateway.tls (meshes and some
     ingress controllers pick the protocol from it), "http" otherwise. */}}
{{- define "cable.gatewayPortName" -}}
{{- if .Values.gateway.tls.secretName -}}https{{- else -}}http{{- end -}}
{{- end -}}

{{/* A Service's fully qualified DNS name: (dict "name" N "root" $). */}}
{{- define "cable.fqdn" -}}
{{- printf "%s.%s.svc.%s" .name .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{- define "cable.secretName" -}}
{{- default (include "cable.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "cable.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cable.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "cable.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "cable.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cable
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" C). */}}
{{- define "cable.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cable.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cable.componentLabels" -}}
{{ include "cable.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cable.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "cable.testImage" -}}
{{- $repo := default .Values.image.repository .Values.tests.image.repository -}}
{{- $tag := default (printf "%s-test" (default .Chart.AppVersion .Values.image.tag)) .Values.tests.image.tag -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* The NATS URL both components use. */}}
{{- define "cable.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- printf "nats://%s:4222" (include "cable.fqdn" (dict "name" (include "cable.natsName" .) "root" .)) -}}
{{- else -}}
{{- required "set nats.url (an external NATS with JetStream) or nats.bundled.enabled=true" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* The gateways' --service: a dns:/// target on the headless Service, so
     gRPC resolves every ready replica and balances round-robin. */}}
{{- define "cable.serviceTarget" -}}
{{- printf "dns:///%s:%d" (include "cable.fqdn" (dict "name" (include "cable.headlessName" .) "root" .)) (int .Values.service.internalPort) -}}
{{- end -}}

{{/* Flags given as a map, one "--key=value" argument each. */}}
{{- define "cable.flagArgs" -}}
{{- range $key, $value := . }}
- {{ printf "--%s=%v" $key $value | quote }}
{{- end }}
{{- end -}}

{{/* NATS flags shared by gateway and service. A credentials file and a
     token exclude each other (the binaries refuse both). */}}
{{- define "cable.natsArgs" -}}
{{- if and .Values.nats.credsSecret.name .Values.secrets.natsToken -}}
{{- fail "secrets.natsToken and nats.credsSecret exclude each other: NATS takes one way to authenticate" -}}
{{- end -}}
- {{ printf "--nats_url=%s" (include "cable.natsUrl" .) | quote }}
{{- if .Values.nats.credsSecret.name }}
- {{ printf "--nats_creds=/etc/cable/nats-creds/%s" .Values.nats.credsSecret.key | quote }}
{{- end }}
{{- if .Values.nats.tls.enabled }}
- "--nats_tls_ca=/etc/cable/nats-tls/ca.crt"
{{- if .Values.nats.tls.clientCert }}
- "--nats_tls_cert=/etc/cable/nats-tls/tls.crt"
- "--nats_tls_key=/etc/cable/nats-tls/tls.key"
{{- end }}
{{- end }}
{{- end -}}

{{- define "cable.natsVolumeMounts" -}}
{{- if .Values.nats.credsSecret.name }}
- name: nats-creds
  mountPath: /etc/cable/nats-creds
  readOnly: true
{{- end }}
{{- if .Values.nats.tls.enabled }}
- name: nats-tls
  mountPath: /etc/cable/nats-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "cable.natsVolumes" -}}
{{- if .Values.nats.credsSecret.name }}
- name: nats-creds
  secret:
    secretName: {{ .Values.nats.credsSecret.name }}
{{- end }}
{{- if .Values.nats.tls.enabled }}
- name: nats-tls
  secret:
    secretName: {{ required "nats.tls.secretName is required with nats.tls.enabled" .Values.nats.tls.secretName }}
{{- end }}
{{- end -}}

{{/* Environment variables read from the Secret: (dict "root" $ "env"
     (dict ENV_NAME secret-key ...)). Optional: an absent key leaves the
     flag empty. */}}
{{- define "cable.secretEnv" -}}
{{- $root := .root -}}
{{- range $env, $key := .env }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "cable.secretName" $root }}
      key: {{ $key }}
      optional: true
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by the Cable Deployments: (dict "root" $
     "values" component-values). */}}
{{- define "cable.podScheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A hash of the values the Secret is made from: pods restart when they
     change. (Generated values never change after install.) */}}
{{- define "cable.secretChecksum" -}}
{{- omit .Values.secrets "generate" | toJson | sha256sum -}}
{{- end -}}
