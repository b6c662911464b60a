// Original file: proto/cable/v1/publisher.proto


export interface InfoRequest {
}

export interface InfoRequest__Output {
}
